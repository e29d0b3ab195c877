variable "name" {
  description = "Prefix of every resource name, e.g. tenantry-prod. Also the cluster name the subnets are tagged for."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's range; each zone gets a public and a private /20 of it."
  type        = string
  default     = "10.30.0.0/16"
}

variable "zone_count" {
  description = "How many availability zones to spread the subnets over."
  type        = number
  default     = 3

  validation {
    condition     = var.zone_count >= 2 && var.zone_count <= 4
    error_message = "EKS needs subnets in at least two zones; this layout has room for four."
  }
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
