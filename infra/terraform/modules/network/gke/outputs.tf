output "network_id" {
  description = "The VPC network."
  value       = google_compute_network.this.id
}

output "subnetwork_id" {
  description = "The nodes' subnet."
  value       = google_compute_subnetwork.nodes.id
}

output "pods_range_name" {
  description = "Name of the pods' secondary range."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[0].range_name
}

output "services_range_name" {
  description = "Name of the Services' secondary range."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[1].range_name
}
