provider "azurerm" {
  subscription_id = var.subscription_id

  # 5.x registers no resource providers by default: only the ones used here.
  resource_providers_to_register = ["Microsoft.ContainerService", "Microsoft.ManagedIdentity", "Microsoft.Network"]

  features {}
}
