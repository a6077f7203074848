path "secret/data/webapp/config" {
  capabilities = ["read"]
}