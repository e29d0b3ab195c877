output "cluster_name" {
  description = "The EKS cluster."
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
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.cluster.name} --kubeconfig ${var.kubeconfig_path}"
}

output "vpc_id" {
  description = "The VPC, for the AWS Load Balancer Controller's vpcId."
  value       = module.network.vpc_id
}

output "name_servers" {
  description = "Delegate the DNS zone to these."
  value       = module.dns.name_servers
}

# What clusters/overlays/eks asks you to fill in (docs/deploy/providers.md).
output "hosted_zone_id" {
  description = "route53 hostedZoneID of the ClusterIssuer."
  value       = module.dns.zone_id
}

output "cert_manager_role_arn" {
  description = "IRSA role of cert-manager's ServiceAccount."
  value       = module.dns.cert_manager_role_arn
}

output "oidc_provider_arn" {
  description = "The provider the other IRSA roles (External Secrets, backups) trust."
  value       = module.cluster.oidc_provider_arn
}
