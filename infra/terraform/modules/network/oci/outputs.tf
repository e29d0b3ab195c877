output "vcn_id" {
  description = "The VCN."
  value       = oci_core_vcn.this.id
}

output "subnet_id" {
  description = "The nodes' subnet."
  value       = oci_core_subnet.nodes.id
}

output "subnet_cidr" {
  description = "The nodes' subnet range, from which the module picks the nodes' fixed addresses."
  value       = oci_core_subnet.nodes.cidr_block
}
