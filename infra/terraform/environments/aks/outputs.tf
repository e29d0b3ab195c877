output "cluster_name" {
  description = "The AKS cluster."
  value       = module.cluster.name
}

output "cluster_endpoint" {
  description = "The API server's URL."
  value       = module.cluster.endpoint
}

output "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials; the bootstrap's kubeconfig_path."
  value       = var.kubeconfig_path
}

output "kubeconfig_command" {
  description = "Writes the cluster's credentials to kubeconfig_path."
  value       = "az aks get-credentials --resource-group ${module.network.resource_group_name} --name ${module.cluster.name} --file ${var.kubeconfig_path}"
}

output "name_servers" {
  description = "Delegate the DNS zone to these."
  value       = module.dns.name_servers
}

# What clusters/overlays/aks asks you to fill in (docs/deploy/providers.md).
output "cert_manager_client_id" {
  description = "azureDNS managedIdentity.clientID of the ClusterIssuer."
  value       = module.dns.cert_manager_client_id
}

output "dns_resource_group_name" {
  description = "azureDNS resourceGroupName of the ClusterIssuer."
  value       = module.network.resource_group_name
}

output "oidc_issuer_url" {
  description = "Issuer for the other identities' federated credentials (External Secrets, backups)."
  value       = module.cluster.oidc_issuer_url
}
