"""The content lane: what creators post (the post queue published to TikTok, drafts prepared from new
products) and what they are advised to post."""
