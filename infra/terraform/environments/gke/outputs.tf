output "cluster_name" {
  description = "The GKE cluster."
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
  description = "Writes the cluster's credentials to kubeconfig_path (needs gke-gcloud-auth-plugin)."
  value       = "KUBECONFIG=${var.kubeconfig_path} gcloud container clusters get-credentials ${module.cluster.name} --region ${module.cluster.location} --project ${var.project_id}"
}

output "name_servers" {
  description = "Delegate the DNS zone to these."
  value       = module.dns.name_servers
}

# What clusters/overlays/gke asks you to fill in (docs/deploy/providers.md).
output "cluster_location" {
  description = "clusterLocation of the gcpsm secret store."
  value       = module.cluster.location
}

output "cert_manager_service_account" {
  description = "Google service account of cert-manager's ServiceAccount."
  value       = module.dns.cert_manager_service_account
}
