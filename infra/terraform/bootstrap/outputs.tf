output "root_application" {
  description = "The Application that syncs argocd/overlays/<provider>."
  value       = local.root_app.metadata.name
}

output "argocd_version" {
  description = "The Argo CD version the chart installed."
  value       = helm_release.argocd.metadata.app_version
}

output "admin_password_command" {
  description = "Prints the initial admin password of the Argo CD UI."
  value       = "kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d"
}
