output "resource_group_name" {
  description = "The resource group the cluster and the DNS zone go into."
  value       = azurerm_resource_group.this.name
}

output "location" {
  description = "The region, as the resource group has it."
  value       = azurerm_resource_group.this.location
}

output "node_subnet_id" {
  description = "The nodes' subnet."
  value       = azurerm_subnet.nodes.id
}
