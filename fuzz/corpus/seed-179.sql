DEFINE empty = '';
