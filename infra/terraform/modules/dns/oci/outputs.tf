output "name_servers" {
  description = "Delegate the zone to these at its registrar or parent zone."
  value       = oci_dns_zone.this.nameservers[*].hostname
}
