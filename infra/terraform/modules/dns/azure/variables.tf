variable "name" {
  description = "Prefix of the identity's name."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the zone and the identity."
  type        = string
}

variable "location" {
  description = "Region of the managed identity."
  type        = string
}

variable "zone_name" {
  description = "The public zone, e.g. tenantry.example. Delegate it to the name servers this module outputs."
  type        = string
}

variable "records" {
  description = "Records relative to the zone, keyed by name (\"api\", \"api.staging\"): type, TTL and values."
  type = map(object({
    type   = string
    ttl    = number
    values = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for r in values(var.records) : contains(["A", "CNAME"], r.type) && (r.type != "CNAME" || length(r.values) == 1)])
    error_message = "Records are A (any number of values) or CNAME (exactly one value)."
  }
}

variable "oidc_issuer_url" {
  description = "The cluster's ServiceAccount token issuer, which cert-manager's identity is federated with."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
