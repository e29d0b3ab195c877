output "name" {
  description = "The cluster's name."
  value       = azurerm_kubernetes_cluster.this.name
}

output "endpoint" {
  description = "The API server's URL."
  value       = "https://${azurerm_kubernetes_cluster.this.fqdn}:443"
}

output "oidc_issuer_url" {
  description = "Issuer of the ServiceAccount tokens, for federated identity credentials."
  value       = azurerm_kubernetes_cluster.this.oidc_issuer_url
}

output "node_resource_group" {
  description = "The resource group AKS creates for the nodes and load balancers."
  value       = azurerm_kubernetes_cluster.this.node_resource_group
}
