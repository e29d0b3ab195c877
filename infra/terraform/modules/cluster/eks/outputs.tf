output "name" {
  description = "The cluster's name."
  value       = aws_eks_cluster.this.name
}

output "endpoint" {
  description = "The API server's URL."
  value       = aws_eks_cluster.this.endpoint
}

output "certificate_authority_data" {
  description = "The cluster CA, base64-encoded PEM."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "oidc_provider_arn" {
  description = "The IAM OIDC provider that IRSA roles trust."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_url" {
  description = "Issuer of the ServiceAccount tokens."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}
