path "internal/data/database/config" {
  capabilities = ["read"]
}
