# Nexmark q2: (auction, price) of the bids whose auction id is a multiple
# of 123.
select(.auction % 123 == 0) | {auction, price}
