path "projects-api/*" {
  capabilities = ["read"]
}