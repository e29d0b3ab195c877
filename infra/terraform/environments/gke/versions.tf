terraform {
  required_version = ">= 1.12.0"

  # State in a Cloud Storage bucket; the gcs backend locks it with a lock object.
  # The bucket comes from backend.hcl (see backend.hcl.example):
  # terraform init -backend-config=backend.hcl
  backend "gcs" {
    prefix = "tenantry/gke"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.45.0"
    }
  }
}
