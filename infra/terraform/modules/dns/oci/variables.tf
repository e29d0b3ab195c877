variable "compartment_id" {
  description = "OCID of the compartment of the zone."
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
}

variable "acme_challenge_nameservers" {
  description = "RFC 2136 name servers to delegate each record's _acme-challenge name to (OCI DNS has no dynamic updates). Empty: no delegation."
  type        = list(string)
  default     = []
}
