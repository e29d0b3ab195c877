variable "name" {
  description = "Cluster name."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the nodes."
  type        = string
  default     = "1.34"
}

variable "subnet_ids" {
  description = "Private subnets for the control plane's interfaces and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "Sources allowed to reach the public API endpoint."
  type        = list(string)
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_min_size" {
  description = "Fewest nodes."
  type        = number
  default     = 2
}

variable "node_desired_size" {
  description = "Nodes at creation; the cluster autoscaler, if installed, owns it afterwards."
  type        = number
  default     = 3
}

variable "node_max_size" {
  description = "Most nodes."
  type        = number
  default     = 5
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
