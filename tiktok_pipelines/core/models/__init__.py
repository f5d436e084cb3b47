"""The channel-neutral models every lane works with, one module per idea: products and variants
(`products`), offers (`offers`: price and stock per warehouse), orders with their lines, buyer and address
(`orders`), packages and invoices (`fulfilment`). Money is `core.money.Money` (Decimal and currency).
A channel turns its own wire format into these, and back."""
