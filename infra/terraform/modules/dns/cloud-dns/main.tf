resource "google_dns_managed_zone" "this" {
  project    = var.project_id
  name       = replace(var.zone_name, ".", "-")
  dns_name   = "${var.zone_name}."
  visibility = "public"
}

resource "google_dns_record_set" "this" {
  for_each = var.records

  project      = var.project_id
  managed_zone = google_dns_managed_zone.this.name
  name         = "${each.key}.${google_dns_managed_zone.this.dns_name}"
  type         = each.value.type
  ttl          = each.value.ttl
  rrdatas      = each.value.values
}

# cert-manager answers DNS-01 challenges as this Google service account, which its
# Kubernetes ServiceAccount cert-manager/cert-manager may impersonate (Workload
# Identity).
resource "google_service_account" "cert_manager" {
  project      = var.project_id
  account_id   = "${var.name}-cert-manager"
  display_name = "cert-manager DNS-01 for ${var.zone_name}"
}

resource "google_project_iam_member" "cert_manager" {
  project = var.project_id
  role    = "roles/dns.admin"
  member  = "serviceAccount:${google_service_account.cert_manager.email}"
}

resource "google_service_account_iam_member" "cert_manager" {
  service_account_id = google_service_account.cert_manager.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_pool}[cert-manager/cert-manager]"
}
