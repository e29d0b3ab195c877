terraform {
  required_version = ">= 1.12.0"

  # State in an Azure Storage blob; Terraform locks it with a blob lease. The
  # account, container and resource group come from backend.hcl (see
  # backend.hcl.example): terraform init -backend-config=backend.hcl
  backend "azurerm" {
    key              = "tenantry/aks.tfstate"
    use_azuread_auth = true
  }

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "5.2.0"
    }
  }
}
