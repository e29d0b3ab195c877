resource "azurerm_dns_zone" "this" {
  name                = var.zone_name
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_dns_a_record" "this" {
  for_each = { for name, r in var.records : name => r if r.type == "A" }

  name                = each.key
  zone_name           = azurerm_dns_zone.this.name
  resource_group_name = var.resource_group_name
  ttl                 = each.value.ttl
  records             = each.value.values
  tags                = var.tags
}

resource "azurerm_dns_cname_record" "this" {
  for_each = { for name, r in var.records : name => r if r.type == "CNAME" }

  name                = each.key
  zone_name           = azurerm_dns_zone.this.name
  resource_group_name = var.resource_group_name
  ttl                 = each.value.ttl
  record              = one(each.value.values)
  tags                = var.tags
}

# cert-manager answers DNS-01 challenges as this identity, federated with its
# ServiceAccount cert-manager/cert-manager, allowed to change this zone only.
resource "azurerm_user_assigned_identity" "cert_manager" {
  name                = "${var.name}-cert-manager"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_role_assignment" "cert_manager" {
  scope                = azurerm_dns_zone.this.id
  role_definition_name = "DNS Zone Contributor"
  principal_id         = azurerm_user_assigned_identity.cert_manager.principal_id
}

resource "azurerm_federated_identity_credential" "cert_manager" {
  name                      = "cert-manager"
  user_assigned_identity_id = azurerm_user_assigned_identity.cert_manager.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = var.oidc_issuer_url
  subject                   = "system:serviceaccount:cert-manager:cert-manager"
}
