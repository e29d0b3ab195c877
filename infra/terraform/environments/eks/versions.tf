terraform {
  required_version = ">= 1.12.0"

  # State in S3, locked by a lock object next to it (use_lockfile: S3 conditional
  # writes, no DynamoDB table). The bucket and region come from backend.hcl (see
  # backend.hcl.example): terraform init -backend-config=backend.hcl
  backend "s3" {
    key          = "tenantry/eks.tfstate"
    encrypt      = true
    use_lockfile = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.59.0"
    }
  }
}
