output "zone_id" {
  description = "The hosted zone (hostedZoneID of the route53 solver)."
  value       = aws_route53_zone.this.zone_id
}

output "name_servers" {
  description = "Delegate the zone to these at its registrar or parent zone."
  value       = aws_route53_zone.this.name_servers
}

output "cert_manager_role_arn" {
  description = "The role for cert-manager's ServiceAccount annotation eks.amazonaws.com/role-arn."
  value       = aws_iam_role.cert_manager.arn
}
