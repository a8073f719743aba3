# Nexmark q1: every bid with price in euros, price * 0.908 as an exact
# decimal: price * 908 is an exact integer, and one division by 1000 gives
# the double nearest the exact value, which jq prints as that decimal.
# (.price * 0.908 would print binary noise such as 25044.456000000002.)
.price = (.price * 908 / 1000)
