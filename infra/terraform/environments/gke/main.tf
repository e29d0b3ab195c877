module "network" {
  source = "../../modules/network/gke"

  name   = var.name
  region = var.region
}

module "cluster" {
  source = "../../modules/cluster/gke"

  name                    = var.name
  project_id              = var.project_id
  region                  = var.region
  network_id              = module.network.network_id
  subnetwork_id           = module.network.subnetwork_id
  pods_range_name         = module.network.pods_range_name
  services_range_name     = module.network.services_range_name
  release_channel         = var.release_channel
  master_authorized_cidrs = var.master_authorized_cidrs
  machine_type            = var.machine_type
}

# The gateway's address is known once its Service exists: the records start empty
# (api_records).
module "dns" {
  source = "../../modules/dns/cloud-dns"

  name          = var.name
  project_id    = var.project_id
  zone_name     = var.dns_zone_name
  records       = var.api_records
  workload_pool = module.cluster.workload_pool
}
