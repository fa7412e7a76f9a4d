"""整改方案: the reporting unit's rectification plan for the problems named in the round."""
