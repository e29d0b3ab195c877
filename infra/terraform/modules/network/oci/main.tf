resource "oci_core_vcn" "this" {
  compartment_id = var.compartment_id
  display_name   = var.name
  cidr_blocks    = [var.vcn_cidr]
  dns_label      = "tenantry"
}

resource "oci_core_internet_gateway" "this" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = var.name
  enabled        = true
}

resource "oci_core_route_table" "public" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name}-public"

  route_rules {
    network_entity_id = oci_core_internet_gateway.this.id
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
  }
}

# The security list is the nodes' only firewall once cloud-init has removed the
# image's own REJECT rules (see the kubeadm-oci module): everything inside the VCN
# (node-to-node, Calico's IP-in-IP, the API server), HTTP and HTTPS from anywhere
# for the public gateway, SSH and optionally the API from the listed sources.
resource "oci_core_security_list" "nodes" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name}-nodes"

  egress_security_rules {
    destination = "0.0.0.0/0"
    protocol    = "all"
  }

  ingress_security_rules {
    source   = var.vcn_cidr
    protocol = "all"
  }

  ingress_security_rules {
    source   = "0.0.0.0/0"
    protocol = "6"

    tcp_options {
      min = 80
      max = 80
    }
  }

  ingress_security_rules {
    source   = "0.0.0.0/0"
    protocol = "6"

    tcp_options {
      min = 443
      max = 443
    }
  }

  dynamic "ingress_security_rules" {
    for_each = toset(var.ssh_allowed_cidrs)

    content {
      source   = ingress_security_rules.value
      protocol = "6"

      tcp_options {
        min = 22
        max = 22
      }
    }
  }

  dynamic "ingress_security_rules" {
    for_each = toset(var.api_allowed_cidrs)

    content {
      source   = ingress_security_rules.value
      protocol = "6"

      tcp_options {
        min = 6443
        max = 6443
      }
    }
  }
}

# One regional public subnet: the nodes take public addresses for their egress, so
# no NAT gateway is needed.
resource "oci_core_subnet" "nodes" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.this.id
  display_name               = "${var.name}-nodes"
  cidr_block                 = var.subnet_cidr
  dns_label                  = "nodes"
  route_table_id             = oci_core_route_table.public.id
  security_list_ids          = [oci_core_security_list.nodes.id]
  prohibit_public_ip_on_vnic = false
}
