variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Prefix of every resource name, and the cluster's name."
  type        = string
  default     = "tenantry-eks"
}

variable "kubernetes_version" {
  description = "Kubernetes minor version."
  type        = string
  default     = "1.34"
}

variable "public_access_cidrs" {
  description = "Sources allowed to reach the API server's public endpoint."
  type        = list(string)
}

variable "node_instance_types" {
  description = "Instance types of the nodes."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "dns_zone_name" {
  description = "The public zone of the API hosts, e.g. tenantry.example."
  type        = string
}

variable "api_records" {
  description = "API host records, once the gateway's NLB exists: e.g. { api = { type = \"CNAME\", ttl = 300, values = [\"<nlb dns name>\"] } }."
  type = map(object({
    type   = string
    ttl    = number
    values = list(string)
  }))
  default = {}
}

variable "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials (the bootstrap reads the same path)."
  type        = string
  default     = "~/.kube/tenantry-eks.yaml"
}

variable "tags" {
  description = "Tags on every resource (the provider's default_tags)."
  type        = map(string)
  default = {
    project = "tenantry"
  }
}
