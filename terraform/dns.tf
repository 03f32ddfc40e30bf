################################################################################
# Custom domain (optional): ACM certificate validated through Route53,
# regional API Gateway domain (TLS 1.2), A and AAAA alias records
################################################################################

locals {
  custom_domain = var.domain_name != null ? 1 : 0
}

resource "aws_acm_certificate" "this" {
  count = local.custom_domain

  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in try(aws_acm_certificate.this[0].domain_validation_options, []) : dvo.domain_name => {
      name   = dvo.resource_record_name
      type   = dvo.resource_record_type
      record = dvo.resource_record_value
    }
  }

  zone_id         = var.hosted_zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.custom_domain

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_api_gateway_domain_name" "this" {
  count = local.custom_domain

  domain_name              = var.domain_name
  regional_certificate_arn = aws_acm_certificate_validation.this[0].certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types           = ["REGIONAL"]
    ip_address_type = "dualstack" # IPv4 and IPv6: the AAAA record below resolves
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = local.custom_domain

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
}

resource "aws_route53_record" "alias" {
  for_each = toset(local.custom_domain == 1 ? ["A", "AAAA"] : [])

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = each.key

  alias {
    name                   = aws_api_gateway_domain_name.this[0].regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this[0].regional_zone_id
    evaluate_target_health = false
  }
}
