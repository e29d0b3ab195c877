locals {
  shape            = "VM.Standard.A1.Flex"
  node_count       = 1 + var.worker_count
  total_ocpus      = var.control_plane.ocpus + var.worker_count * var.worker.ocpus
  total_memory     = var.control_plane.memory_in_gbs + var.worker_count * var.worker.memory_in_gbs
  total_boot       = local.node_count * var.boot_volume_size_in_gbs
  control_plane_ip = cidrhost(var.subnet_cidr, 10)
  ingress_ip       = cidrhost(var.subnet_cidr, 240)
  image_id         = var.image_id != null ? var.image_id : data.oci_core_images.ubuntu.images[0].id

  # The token a node presents to join (kubeadm's format: [a-z0-9]{6}.[a-z0-9]{16}).
  bootstrap_token = "${random_string.token_id.result}.${random_string.token_secret.result}"

  # The role's cloud-config is appended to the common one: its write_files and
  # runcmd run after the common ones instead of replacing them.
  merge_type = "list(append)+dict(no_replace,recurse_list)+str()"

  node_config = templatefile("${path.module}/templates/node.yaml.tftpl", {
    kubernetes_minor           = join(".", slice(split(".", var.kubernetes_version), 0, 2))
    kubernetes_package_version = "${var.kubernetes_version}-${var.kubernetes_package_revision}"
  })
}

data "oci_identity_availability_domains" "this" {
  compartment_id = var.tenancy_ocid
}

data "oci_core_images" "ubuntu" {
  compartment_id           = var.compartment_id
  operating_system         = "Canonical Ubuntu"
  operating_system_version = "24.04"
  shape                    = local.shape
  sort_by                  = "TIMECREATED"
  sort_order               = "DESC"
}

# The bootstrap token and the cluster CA are made here, not on the control plane,
# so that the workers can be given both before the control plane exists. Both end
# up in the state and in the instances' user data; see the README ("Token and CA").
resource "random_string" "token_id" {
  length  = 6
  upper   = false
  special = false
}

resource "random_string" "token_secret" {
  length  = 16
  upper   = false
  special = false
}

resource "tls_private_key" "ca" {
  algorithm = "RSA"
  rsa_bits  = 2048
}

resource "tls_self_signed_cert" "ca" {
  private_key_pem       = tls_private_key.ca.private_key_pem
  is_ca_certificate     = true
  validity_period_hours = 87600
  allowed_uses          = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]

  subject {
    common_name = "kubernetes"
  }
}

data "cloudinit_config" "control_plane" {
  gzip          = true
  base64_encode = true

  part {
    filename     = "node.yaml"
    content_type = "text/cloud-config"
    content      = local.node_config
  }

  part {
    filename     = "control-plane.yaml"
    content_type = "text/cloud-config"
    merge_type   = local.merge_type

    content = templatefile("${path.module}/templates/control-plane.yaml.tftpl", {
      kubernetes_version = var.kubernetes_version
      control_plane_ip   = local.control_plane_ip
      pod_cidr           = var.pod_cidr
      service_cidr       = var.service_cidr
      cert_sans          = jsonencode(concat(["127.0.0.1", "localhost", local.control_plane_ip], var.api_server_names))
      bootstrap_token    = local.bootstrap_token
      ca_cert_b64        = base64encode(tls_self_signed_cert.ca.cert_pem)
      ca_key_b64         = base64encode(tls_private_key.ca.private_key_pem)
      calico_version     = var.calico_version
    })
  }
}

data "cloudinit_config" "worker" {
  gzip          = true
  base64_encode = true

  part {
    filename     = "node.yaml"
    content_type = "text/cloud-config"
    content      = local.node_config
  }

  part {
    filename     = "worker.yaml"
    content_type = "text/cloud-config"
    merge_type   = local.merge_type

    content = templatefile("${path.module}/templates/worker.yaml.tftpl", {
      control_plane_ip = local.control_plane_ip
      bootstrap_token  = local.bootstrap_token
      ca_cert_b64      = base64encode(tls_self_signed_cert.ca.cert_pem)
    })
  }
}

resource "oci_core_instance" "control_plane" {
  availability_domain = data.oci_identity_availability_domains.this.availability_domains[var.availability_domain_index].name
  compartment_id      = var.compartment_id
  display_name        = "${var.name}-control-plane"
  shape               = local.shape

  shape_config {
    ocpus         = var.control_plane.ocpus
    memory_in_gbs = var.control_plane.memory_in_gbs
  }

  source_details {
    source_type             = "image"
    source_id               = local.image_id
    boot_volume_size_in_gbs = var.boot_volume_size_in_gbs
  }

  # A fixed private address: the workers' join configuration names it before the
  # instance exists.
  create_vnic_details {
    subnet_id        = var.subnet_id
    assign_public_ip = true
    private_ip       = local.control_plane_ip
    hostname_label   = "control-plane"
  }

  instance_options {
    are_legacy_imds_endpoints_disabled = true
  }

  metadata = {
    ssh_authorized_keys = var.ssh_public_key
    user_data           = data.cloudinit_config.control_plane.rendered
  }

  lifecycle {
    # cloud-init runs once, at the first boot: a changed user data or a newer image
    # must not replace a running control plane.
    ignore_changes = [metadata, source_details[0].source_id]

    precondition {
      condition     = !var.enforce_always_free || (local.total_ocpus <= 4 && local.total_memory <= 24 && local.total_boot <= 200)
      error_message = "The nodes exceed the Always Free A1 allowance (4 OCPUs, 24 GB, 200 GB of boot volumes); set enforce_always_free = false to pay for more."
    }
  }
}

resource "oci_core_instance" "worker" {
  count = var.worker_count

  availability_domain = data.oci_identity_availability_domains.this.availability_domains[var.availability_domain_index].name
  compartment_id      = var.compartment_id
  display_name        = "${var.name}-worker-${count.index}"
  shape               = local.shape

  shape_config {
    ocpus         = var.worker.ocpus
    memory_in_gbs = var.worker.memory_in_gbs
  }

  source_details {
    source_type             = "image"
    source_id               = local.image_id
    boot_volume_size_in_gbs = var.boot_volume_size_in_gbs
  }

  create_vnic_details {
    subnet_id        = var.subnet_id
    assign_public_ip = true
    hostname_label   = "worker-${count.index}"
  }

  instance_options {
    are_legacy_imds_endpoints_disabled = true
  }

  metadata = {
    ssh_authorized_keys = var.ssh_public_key
    user_data           = data.cloudinit_config.worker.rendered
  }

  lifecycle {
    ignore_changes = [metadata, source_details[0].source_id]
  }
}

# The public gateway's address. MetalLB's layer-2 announcements mean nothing in a
# VCN, which routes by its own table: the address is a secondary private IP of the
# first worker's VNIC, so the VCN delivers it there, and kube-proxy on that worker
# forwards it to the gateway's pods. A reserved public IP maps onto it. The
# MetalLB pool of clusters/overlays/onprem must be exactly this address.
data "oci_core_vnic_attachments" "ingress" {
  compartment_id = var.compartment_id
  instance_id    = oci_core_instance.worker[0].id
}

resource "oci_core_private_ip" "ingress" {
  vnic_id      = data.oci_core_vnic_attachments.ingress.vnic_attachments[0].vnic_id
  ip_address   = local.ingress_ip
  display_name = "${var.name}-ingress"
}

resource "oci_core_public_ip" "ingress" {
  compartment_id = var.compartment_id
  lifetime       = "RESERVED"
  private_ip_id  = oci_core_private_ip.ingress.id
  display_name   = "${var.name}-ingress"
}
