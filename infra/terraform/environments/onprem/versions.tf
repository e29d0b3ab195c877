terraform {
  required_version = ">= 1.12.0"

  # State in OCI Object Storage with Terraform's native oci backend (1.12+), which
  # locks it with a lock object next to the state. Bucket, namespace and region
  # come from backend.hcl (see backend.hcl.example):
  # terraform init -backend-config=backend.hcl
  backend "oci" {
    key = "tenantry/onprem.tfstate"
  }

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = "8.28.0"
    }
    cloudinit = {
      source  = "hashicorp/cloudinit"
      version = "2.4.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "4.2.1"
    }
  }
}
