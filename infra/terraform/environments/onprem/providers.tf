# Credentials from ~/.oci/config (oci setup config), never from variables.
provider "oci" {
  region              = var.region
  config_file_profile = var.oci_profile
}
