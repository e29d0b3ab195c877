output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "The nodes' subnets, one per zone."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "The load balancers' subnets, one per zone."
  value       = aws_subnet.public[*].id
}
