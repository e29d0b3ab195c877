variable "name" {
  description = "Prefix of every display name, e.g. tenantry-onprem."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment everything goes into."
  type        = string
}

variable "vcn_cidr" {
  description = "The VCN's range. Must not overlap the pod network (192.168.0.0/16) or the Service range (10.96.0.0/12)."
  type        = string
  default     = "10.0.0.0/16"
}

variable "subnet_cidr" {
  description = "The nodes' subnet, inside vcn_cidr."
  type        = string
  default     = "10.0.1.0/24"
}

variable "ssh_allowed_cidrs" {
  description = "Sources allowed to reach port 22 of the nodes."
  type        = list(string)
}

variable "api_allowed_cidrs" {
  description = "Sources allowed to reach the Kubernetes API (6443) directly. Empty: reach it through an SSH tunnel."
  type        = list(string)
  default     = []
}
