resource "oci_dns_zone" "this" {
  compartment_id = var.compartment_id
  name           = var.zone_name
  zone_type      = "PRIMARY"
}

resource "oci_dns_rrset" "this" {
  for_each = var.records

  zone_name_or_id = oci_dns_zone.this.id
  domain          = "${each.key}.${var.zone_name}"
  rtype           = each.value.type

  dynamic "items" {
    for_each = toset(each.value.values)

    content {
      domain = "${each.key}.${var.zone_name}"
      rtype  = each.value.type
      ttl    = each.value.ttl
      rdata  = items.value
    }
  }
}

# cert-manager's onprem solver is RFC 2136, which OCI DNS does not accept. The
# _acme-challenge name of each record is delegated to a server that does, where
# the TSIG key of clusters/overlays/onprem lets cert-manager write the TXT record.
resource "oci_dns_rrset" "acme_challenge" {
  for_each = length(var.acme_challenge_nameservers) > 0 ? var.records : {}

  zone_name_or_id = oci_dns_zone.this.id
  domain          = "_acme-challenge.${each.key}.${var.zone_name}"
  rtype           = "NS"

  dynamic "items" {
    for_each = toset(var.acme_challenge_nameservers)

    content {
      domain = "_acme-challenge.${each.key}.${var.zone_name}"
      rtype  = "NS"
      ttl    = 300
      rdata  = items.value
    }
  }
}
