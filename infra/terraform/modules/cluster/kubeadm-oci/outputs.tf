output "control_plane_public_ip" {
  description = "The control plane's public address, for SSH."
  value       = oci_core_instance.control_plane.public_ip
}

output "control_plane_private_ip" {
  description = "The control plane's private address: the API server's endpoint inside the VCN."
  value       = oci_core_instance.control_plane.private_ip
}

output "worker_private_ips" {
  description = "The workers' private addresses."
  value       = oci_core_instance.worker[*].private_ip
}

output "ingress_private_ip" {
  description = "The address for the MetalLB pool tenantry-public (as a /32)."
  value       = oci_core_private_ip.ingress.ip_address
}

output "ingress_public_ip" {
  description = "The public address of the API gateway, for the DNS records."
  value       = oci_core_public_ip.ingress.ip_address
}

output "bootstrap_token" {
  description = "The kubeadm join token; re-create it on the control plane to add a worker after its 24 h TTL (README)."
  value       = local.bootstrap_token
  sensitive   = true
}
