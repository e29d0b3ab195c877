variable "name" {
  description = "Prefix of every display name."
  type        = string
}

variable "tenancy_ocid" {
  description = "OCID of the tenancy, where the availability domains are listed."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment the instances go into."
  type        = string
}

variable "subnet_id" {
  description = "The nodes' subnet."
  type        = string
}

variable "subnet_cidr" {
  description = "The nodes' subnet range: the control plane takes its 10th address, the ingress address its 240th."
  type        = string
}

variable "availability_domain_index" {
  description = "Which availability domain of the region to use (A1 capacity differs between them)."
  type        = number
  default     = 0
}

variable "ssh_public_key" {
  description = "Public key for the ubuntu user on every node."
  type        = string
}

variable "image_id" {
  description = "Image OCID; null picks the newest Canonical Ubuntu 24.04 image for the A1 shape at the first apply."
  type        = string
  default     = null
}

variable "kubernetes_version" {
  description = "Exact Kubernetes version of kubeadm, kubelet and kubectl, and of the control plane."
  type        = string
  default     = "1.34.1"

  validation {
    condition     = can(regex("^1\\.[0-9]+\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version must be an exact version such as 1.34.1."
  }
}

variable "kubernetes_package_revision" {
  description = "Debian revision of the pkgs.k8s.io packages: kubeadm=<version>-<revision>."
  type        = string
  default     = "1.1"
}

variable "calico_version" {
  description = "Calico release whose manifest the control plane applies (the CNI, which also enforces NetworkPolicies)."
  type        = string
  default     = "v3.31.4"
}

variable "pod_cidr" {
  description = "Pod network; Calico's manifest defaults to it."
  type        = string
  default     = "192.168.0.0/16"
}

variable "service_cidr" {
  description = "Service range (kubeadm's default)."
  type        = string
  default     = "10.96.0.0/12"
}

variable "api_server_names" {
  description = "Extra names for the API server certificate, e.g. a DNS name pointing at the control plane."
  type        = list(string)
  default     = []
}

variable "control_plane" {
  description = "OCPUs and memory of the control plane."
  type = object({
    ocpus         = number
    memory_in_gbs = number
  })
  default = {
    ocpus         = 1
    memory_in_gbs = 6
  }
}

variable "worker_count" {
  description = "Number of workers; the first also holds the ingress address."
  type        = number
  default     = 3

  validation {
    condition     = var.worker_count >= 1
    error_message = "At least one worker: the ingress address is attached to the first."
  }
}

variable "worker" {
  description = "OCPUs and memory of each worker."
  type = object({
    ocpus         = number
    memory_in_gbs = number
  })
  default = {
    ocpus         = 1
    memory_in_gbs = 6
  }
}

variable "boot_volume_size_in_gbs" {
  description = "Boot volume of each node."
  type        = number
  default     = 50
}

variable "enforce_always_free" {
  description = "Refuse a plan that exceeds the Always Free A1 allowance (4 OCPUs, 24 GB, 200 GB of block volumes)."
  type        = bool
  default     = true
}
