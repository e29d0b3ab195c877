output "name_servers" {
  description = "Delegate the zone to these at its registrar or parent zone."
  value       = google_dns_managed_zone.this.name_servers
}

output "cert_manager_service_account" {
  description = "The Google service account for cert-manager's annotation iam.gke.io/gcp-service-account."
  value       = google_service_account.cert_manager.email
}
