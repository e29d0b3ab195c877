resource "aws_route53_zone" "this" {
  name = var.zone_name
  tags = var.tags
}

resource "aws_route53_record" "this" {
  for_each = var.records

  zone_id = aws_route53_zone.this.zone_id
  name    = "${each.key}.${var.zone_name}"
  type    = each.value.type
  ttl     = each.value.ttl
  records = each.value.values
}

# cert-manager answers DNS-01 challenges with this role, assumed through IRSA by
# its ServiceAccount cert-manager/cert-manager only, and allowed to change this
# zone only (cert-manager's documented Route 53 policy).
locals {
  issuer_host = replace(var.oidc_issuer_url, "https://", "")
}

data "aws_iam_policy_document" "cert_manager_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = ["system:serviceaccount:cert-manager:cert-manager"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "cert_manager" {
  statement {
    actions   = ["route53:GetChange"]
    resources = ["arn:aws:route53:::change/*"]
  }

  statement {
    actions   = ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"]
    resources = [aws_route53_zone.this.arn]
  }

  statement {
    actions   = ["route53:ListHostedZonesByName"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "cert_manager" {
  name               = "${var.name}-cert-manager"
  assume_role_policy = data.aws_iam_policy_document.cert_manager_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "cert_manager" {
  name   = "route53-dns01"
  role   = aws_iam_role.cert_manager.id
  policy = data.aws_iam_policy_document.cert_manager.json
}
