output "zone_name" {
  description = "The zone (hostedZoneName of the azureDNS solver)."
  value       = azurerm_dns_zone.this.name
}

output "name_servers" {
  description = "Delegate the zone to these at its registrar or parent zone."
  value       = azurerm_dns_zone.this.name_servers
}

output "cert_manager_client_id" {
  description = "Client id of cert-manager's identity (managedIdentity.clientID of the azureDNS solver)."
  value       = azurerm_user_assigned_identity.cert_manager.client_id
}
