#!/usr/bin/env ruby
# frozen_string_literal: true

# Verifies a webhook from kling-webhook-relay (Standard Webhooks) with Ruby's standard library only:
# OpenSSL::HMAC, and OpenSSL's Ed25519 (Ruby 3.1+ with OpenSSL 1.1.1+, as Debian's ruby has).
# `verify` is the part to paste into an app; the rest is a small command line around it:
#
#   WEBHOOK_KEY=whsec_... WEBHOOK_ID=msg_... WEBHOOK_TIMESTAMP=1781080794 \
#   WEBHOOK_SIGNATURE='v1,...' ruby verify.rb < body.json
#
# prints "verified" and exits 0, or prints why not and exits 1. WEBHOOK_KEY is a whsec_ secret
# (checks v1 HMAC-SHA256 signatures) or a whpk_ public key (checks v1a Ed25519 ones).
# BEGIN verify
require "openssl"

TOLERANCE_SECONDS = 5 * 60
# An Ed25519 public key in DER (RFC 8410): this fixed header, then the key's 32 raw bytes.
ED25519_DER_HEADER = ["302a300506032b6570032100"].pack("H*")

# Whether a webhook is genuine. key: your "whsec_..." secret or "whpk_..." public key.
# id, timestamp, signature_header: the webhook-id, webhook-timestamp and webhook-signature headers.
# body: the raw body, exactly as received (request.raw_post in Rails, request.body.read in Rack).
def verify(key, id, timestamp, signature_header, body, now: Time.now.to_i)
  return false unless timestamp.match?(/\A\d+\z/) && (now - timestamp.to_i).abs <= TOLERANCE_SECONDS

  content = "#{id}.#{timestamp}.".b + body.b
  # Any one matching entry of the space-separated list will do ("v1,<base64> v1a,<base64> ...").
  signature_header.split(" ").any? do |entry|
    version, encoded = entry.split(",", 2)
    signature = encoded.to_s.unpack1("m0")
    if version == "v1" && key.start_with?("whsec_")
      expected = OpenSSL::HMAC.digest("SHA256", key.delete_prefix("whsec_").unpack1("m0"), content)
      signature.bytesize == expected.bytesize && OpenSSL.fixed_length_secure_compare(signature, expected)
    elsif version == "v1a" && key.start_with?("whpk_")
      public_key = OpenSSL::PKey.read(ED25519_DER_HEADER + key.delete_prefix("whpk_").unpack1("m0"))
      public_key.verify(nil, signature, content)
    else
      false
    end
  rescue ArgumentError, OpenSSL::PKey::PKeyError # not base64, or not an Ed25519 key or signature
    false
  end
end
# END verify

if __FILE__ == $PROGRAM_NAME
  names = %w[WEBHOOK_KEY WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE]
  missing = names.select { |name| ENV.fetch(name, "").empty? }
  unless missing.empty?
    puts "missing #{missing.join(", ")}"
    exit 1
  end
  key, id, timestamp, signature = names.map { |name| ENV.fetch(name) }
  body = $stdin.binmode.read
  if verify(key, id, timestamp, signature, body)
    puts "verified"
    exit 0
  end
  if !key.start_with?("whsec_") && !key.start_with?("whpk_")
    puts "WEBHOOK_KEY is neither whsec_... nor whpk_..."
  elsif !timestamp.match?(/\A\d+\z/) || (Time.now.to_i - timestamp.to_i).abs > TOLERANCE_SECONDS
    puts "webhook-timestamp is not within 5 minutes of now"
  else
    puts "no matching signature"
  end
  exit 1
end
