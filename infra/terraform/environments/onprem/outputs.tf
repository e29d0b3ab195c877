output "control_plane_public_ip" {
  description = "SSH to ubuntu@ this address."
  value       = module.cluster.control_plane_public_ip
}

output "api_tunnel_command" {
  description = "Forwards the API server to 127.0.0.1:6443 (run it in another terminal while using kubectl)."
  value       = "ssh -N -L 6443:${module.cluster.control_plane_private_ip}:6443 ubuntu@${module.cluster.control_plane_public_ip}"
}

output "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials; the bootstrap's kubeconfig_path."
  value       = var.kubeconfig_path
}

output "kubeconfig_command" {
  description = "Copies the admin kubeconfig from the control plane, pointed at the tunnel."
  value       = "ssh ubuntu@${module.cluster.control_plane_public_ip} cat .kube/config | sed 's#https://${module.cluster.control_plane_private_ip}:6443#https://127.0.0.1:6443#' > ${var.kubeconfig_path}"
}

output "metallb_address_pool" {
  description = "The addresses of MetalLB's pool tenantry-public in clusters/overlays/onprem."
  value       = "${module.cluster.ingress_private_ip}/32"
}

output "ingress_public_ip" {
  description = "The public address of the API gateway (the API hosts' A records)."
  value       = module.cluster.ingress_public_ip
}

output "name_servers" {
  description = "Delegate the DNS zone to these."
  value       = module.dns.name_servers
}

output "bootstrap_token" {
  description = "kubeadm join token, for adding workers after its first 24 hours (README)."
  value       = module.cluster.bootstrap_token
  sensitive   = true
}
