"""The content lane: recommendations for creators (the rules over their videos and the shop's sales, and
ideas from a language model when one is configured), and what they post (the post queue published to
TikTok, drafts prepared from new products)."""
