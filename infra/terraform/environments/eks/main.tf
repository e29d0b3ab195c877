module "network" {
  source = "../../modules/network/eks"

  name = var.name
}

module "cluster" {
  source = "../../modules/cluster/eks"

  name                = var.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network.private_subnet_ids
  public_access_cidrs = var.public_access_cidrs
  node_instance_types = var.node_instance_types
}

# The NLB's name is known only once the AWS Load Balancer Controller has created
# it for the public gateway: the records start empty (api_records).
module "dns" {
  source = "../../modules/dns/route53"

  name              = var.name
  zone_name         = var.dns_zone_name
  records           = var.api_records
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_issuer_url   = module.cluster.oidc_issuer_url
}
