module "network" {
  source = "../../modules/network/aks"

  name     = var.name
  location = var.location
  tags     = var.tags
}

module "cluster" {
  source = "../../modules/cluster/aks"

  name                = var.name
  resource_group_name = module.network.resource_group_name
  location            = module.network.location
  node_subnet_id      = module.network.node_subnet_id
  kubernetes_version  = var.kubernetes_version
  node_vm_size        = var.node_vm_size
  node_min_count      = var.node_min_count
  node_max_count      = var.node_max_count
  tags                = var.tags
}

# The public gateway's load balancer gets <label>.<region>.cloudapp.azure.com from
# its annotation; the API hosts are CNAMEs to it, known before the load balancer
# exists.
locals {
  gateway_fqdn = "${var.lb_dns_label}.${var.location}.cloudapp.azure.com"
  api_records  = { for name in var.api_record_names : name => { type = "CNAME", ttl = 300, values = [local.gateway_fqdn] } }
}

module "dns" {
  source = "../../modules/dns/azure"

  name                = var.name
  resource_group_name = module.network.resource_group_name
  location            = module.network.location
  zone_name           = var.dns_zone_name
  records             = local.api_records
  oidc_issuer_url     = module.cluster.oidc_issuer_url
  tags                = var.tags
}
