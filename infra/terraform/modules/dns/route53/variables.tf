variable "name" {
  description = "Prefix of the IAM role's name."
  type        = string
}

variable "zone_name" {
  description = "The public hosted zone, e.g. tenantry.example. Delegate it to the name servers this module outputs."
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

variable "oidc_provider_arn" {
  description = "The cluster's IAM OIDC provider, which cert-manager's role trusts (IRSA)."
  type        = string
}

variable "oidc_issuer_url" {
  description = "The cluster's ServiceAccount token issuer."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
