variable "name" {
  description = "Prefix of the service account (at most 17 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,16}$", var.name))
    error_message = "name must be 5 to 17 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "zone_name" {
  description = "The public zone, e.g. tenantry.example (without the trailing dot). Delegate it to the name servers this module outputs."
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
}

variable "workload_pool" {
  description = "The cluster's Workload Identity pool (<project>.svc.id.goog)."
  type        = string
}
