output "name" {
  description = "The cluster's name."
  value       = google_container_cluster.this.name
}

output "location" {
  description = "The cluster's region."
  value       = google_container_cluster.this.location
}

output "endpoint" {
  description = "The API server's URL."
  value       = "https://${google_container_cluster.this.endpoint}"
}

output "ca_certificate" {
  description = "The cluster CA, base64-encoded PEM."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
}

output "workload_pool" {
  description = "The Workload Identity pool, for IAM bindings of Kubernetes ServiceAccounts."
  value       = google_container_cluster.this.workload_identity_config[0].workload_pool
}
