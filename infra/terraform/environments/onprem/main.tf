module "network" {
  source = "../../modules/network/oci"

  name              = var.name
  compartment_id    = var.compartment_id
  ssh_allowed_cidrs = var.ssh_allowed_cidrs
  api_allowed_cidrs = var.api_allowed_cidrs
}

module "cluster" {
  source = "../../modules/cluster/kubeadm-oci"

  name                      = var.name
  tenancy_ocid              = var.tenancy_ocid
  compartment_id            = var.compartment_id
  subnet_id                 = module.network.subnet_id
  subnet_cidr               = module.network.subnet_cidr
  availability_domain_index = var.availability_domain_index
  ssh_public_key            = var.ssh_public_key
  kubernetes_version        = var.kubernetes_version
  worker_count              = var.worker_count
}

locals {
  api_records = { for name in var.api_record_names : name => { type = "A", ttl = 300, values = [module.cluster.ingress_public_ip] } }
}

module "dns" {
  source = "../../modules/dns/oci"

  compartment_id             = var.compartment_id
  zone_name                  = var.dns_zone_name
  records                    = local.api_records
  acme_challenge_nameservers = var.acme_challenge_nameservers
}
